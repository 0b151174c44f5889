"""runwatch widgets, one public class per module."""
