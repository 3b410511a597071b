"""The Textual application: screens, widgets and styles. The only layer that imports Textual."""
