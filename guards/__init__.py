"""huashu guards: pure checks of reply text against a service-standard policy."""

from guards.context import CheckContext, DraftInputs, Guard, Turn, TurnPosition
from guards.engine import CompiledPolicy, check, compile_policy, default_compiled
from guards.loader import PolicyError, default_policy, load_policy, policy_fingerprint
from guards.patterns import PatternTimeout
from guards.policy import CATEGORIES, CHANNELS, SCENARIOS, Category, Channel, Policy, Scenario, Severity
from guards.text import Document
from guards.violation import GuardReport, Violation

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "SCENARIOS",
    "Category",
    "Channel",
    "CheckContext",
    "CompiledPolicy",
    "Document",
    "DraftInputs",
    "Guard",
    "GuardReport",
    "PatternTimeout",
    "Policy",
    "PolicyError",
    "Scenario",
    "Severity",
    "Turn",
    "TurnPosition",
    "Violation",
    "check",
    "compile_policy",
    "default_compiled",
    "default_policy",
    "load_policy",
    "policy_fingerprint",
]
