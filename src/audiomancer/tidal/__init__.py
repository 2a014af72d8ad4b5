"""TidalCycles in: a persistent ghci with Tidal (:mod:`.ghci`) and the import of Tidal code
into patterns (:mod:`.importer`)."""
