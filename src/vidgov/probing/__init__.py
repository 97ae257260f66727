"""Health sweeps: probing cameras stage by stage and keeping what every sweep found."""
