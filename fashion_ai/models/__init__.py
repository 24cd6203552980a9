"""Models, one folder per family (paligemma/, clip/: loading, inference, tiny demo builders), what they share
(common), and the registry a service owns."""
