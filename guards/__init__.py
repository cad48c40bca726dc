"""huashu guards: pure checks of reply text against a service-standard policy."""

from guards.context import CheckContext, Guard
from guards.engine import check, compile_policy
from guards.loader import PolicyError, default_policy, load_policy, policy_fingerprint
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
    "Document",
    "Guard",
    "GuardReport",
    "Policy",
    "PolicyError",
    "Scenario",
    "Severity",
    "Violation",
    "check",
    "compile_policy",
    "default_policy",
    "load_policy",
    "policy_fingerprint",
]
