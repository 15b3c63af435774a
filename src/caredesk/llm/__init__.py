"""The LLM port and its adapters: an OpenAI-compatible server or a local llama.cpp model."""

from caredesk.llm.port import (
    DEFAULT_MAX_TOKENS,
    LOCAL,
    OFFLINE,
    OFFLINE_FALLBACK,
    OPENAI,
    ChatMessage,
    ChatModel,
    ChatStream,
    InvalidModelOutput,
    LLMResult,
    build_chat_model,
)
from caredesk.llm.prompts import PromptError, PromptRegistry, RenderedPrompt

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "LOCAL",
    "OFFLINE",
    "OFFLINE_FALLBACK",
    "OPENAI",
    "ChatMessage",
    "ChatModel",
    "ChatStream",
    "InvalidModelOutput",
    "LLMResult",
    "PromptError",
    "PromptRegistry",
    "RenderedPrompt",
    "build_chat_model",
]
