"""The monitor's widgets: they read the state model and post commands, nothing more."""
