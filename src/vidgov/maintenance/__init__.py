"""Maintenance work orders: faults become orders for the unit that must fix them."""
