"""fangkong (防控): the operations platform of an epidemic command office."""

__version__ = "0.1.0"
