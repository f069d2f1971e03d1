"""The PySide6 desktop layer (filled by the desktop issues). Imports calnet_desk, never
the other way round."""
