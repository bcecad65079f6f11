# magics: filled in as the layer grows
