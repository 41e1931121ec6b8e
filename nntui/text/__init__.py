"""Runs drawn as text: loss curves, the decision boundary and the confusion matrix, as the CLI prints them."""
