"""The kiosk's QR and barcode scanner: serial or keyboard-wedge readers on their own thread."""
