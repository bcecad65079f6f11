# engine/exec.mk: columnar vectors and data sources
