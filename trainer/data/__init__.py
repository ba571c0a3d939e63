"""Data sets, splits, augmentation, training samples and the synthetic forgery generator."""
