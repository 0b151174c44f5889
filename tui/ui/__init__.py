"""The Textual user interface: the app, one viewer screen, widgets and provider detail bodies."""
