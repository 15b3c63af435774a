"""Injection defence: spot instructions hidden in source text and decisions in answer text.

Knowledge-base passages and case documents are data. They reach a model fenced and escaped
(see the prompt templates), but a sentence that talks to the model is never worth quoting, and
an answer that claims a decision was made is never the copilot's to give: both are caught here.
"""

from __future__ import annotations

import re

from caredesk.copilot.text import fold

# Cyrillic and Greek letters that look like Latin ones ("іgnore", "аpprove"): NFKC keeps them.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁɡνοατκмнвтАЕОРСУХІЈЅВНКМТΑΒΕΗΙΚΜΝΟΡΤΧΥ",
    "aeopcyxijsdgvoatkmhbtaeopcyxijsbhkmtabehikmnoptxy",
)
_INSTRUCTION = re.compile(
    r"ignore (?:all |any |the )?(?:previous|prior|above|earlier|preceding|your|these|system)"
    r"|disregard (?:all |any |the )?(?:previous|prior|above|earlier|your|these|system|rules)"
    r"|forget (?:all |your |the )?(?:previous|prior|rules|instructions)"
    r"|override (?:the |your )?(?:rules|instructions|policy)"
    r"|(?:system|developer|hidden) (?:prompt|message|instructions)"
    r"|reveal (?:the |your )?(?:prompt|instructions|system|rules)"
    r"|new instructions|instructions? to (?:the )?(?:ai|assistant|model|copilot)"
    r"|you are (?:now|no longer)|from now on,? you|act as (?:an? |the )?|pretend (?:to be|you)"
    r"|role-?play|jailbreak|developer mode|do anything now"
    r"|approve (?:this|the|all|every) (?:request|case|authori[sz]ation|claim)"
    r"|(?:mark|set) (?:this|the) (?:request|case) (?:as )?(?:approved|ready|submitted)"
    r"|(?:list|show|print|dump|export|reveal) (?:all |every |other |the )+(?:other )?"
    r"(?:patients?|members?|cases?)"
    r"|\bin your (?:answer|reply|response)\b|\btell the (?:user|coordinator|reader)\b"
    r"|\[\d+\]"  # citation markers belong to answers, never to sources
    r"|(?:call|run|invoke|use|trigger) (?:the )?(?:tool|function)\b"
    r"|\bassistant:|\bsystem:|<\|im_(?:start|end)\|>|\[/?inst\]|###\s*instruction"
    # Markup that acts when rendered: images that call out, script links, event handlers.
    r"|!\[[^\]]*\]\(|javascript:|<\s*/?\s*(?:script|img|iframe|svg|system|source)\b"
    r"|\bon(?:error|load|click)\s*=|<!--",
)
_DECISION = re.compile(
    r"\b(?:this|the|your) (?:authori[sz]ation request|request|case|authori[sz]ation|claim|"
    r"pa request) "
    r"(?:is|has been|was|will be) (?:hereby |now |automatically )?"
    r"(?:approved|granted|authori[sz]ed)(?!\s+(?:when|if|after|only|once|unless|provided))"
    r"|\bi (?:have )?(?:approve|approved|grant|granted|authori[sz]e)\b"
    r"|\bapproval (?:is )?granted\b|\bauthori[sz]ation (?:number|code) is\b"
    r"|\bpre-?approved\b|\bauto-?approved\b",
)


def normalised(text: str) -> str:
    """Text folded for matching: case, width, invisible characters and look-alike letters."""
    return " ".join(fold(text).translate(_CONFUSABLES).split())


def is_instruction(text: str) -> bool:
    """True when the text addresses the model (or a reader) with orders instead of facts."""
    return _INSTRUCTION.search(normalised(text)) is not None


def claims_decision(text: str) -> bool:
    """True when an answer sentence says a request was approved (only people decide that)."""
    return _DECISION.search(normalised(text)) is not None
