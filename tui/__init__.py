"""runwatch: a terminal live viewer for bctrl and Kernel runs and invocations."""
