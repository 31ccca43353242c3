"""Paper mail: scanned letters uploaded by operators, replies handed to the print house."""
