"""runwatch screens, one public class per module."""
