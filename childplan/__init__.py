"""The childplan command line, file-to-layer rules and the Streamlit glue."""
