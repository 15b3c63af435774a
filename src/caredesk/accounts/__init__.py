"""Accounts: users, argon2 passwords, hashed API tokens, web sessions."""
