# livy: the Livy REST client and the Livy session backend
