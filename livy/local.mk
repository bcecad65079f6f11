# livy: filled in as the layer grows
