"""The agent page: `streamlit run app_streamlit.py`, the same app `huashu ui` runs (drafting/ui/app.py)."""

from drafting.ui.app import main

main()
