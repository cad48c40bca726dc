"""The agent page (Streamlit): draft, rewrite, see and fix every finding.

Only `drafting.ui.app` and the page modules import streamlit; the state, highlighting and
feedback modules are plain Python so the CLI (`huashu feedback export`) works without it.
"""
