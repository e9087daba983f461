"""Imported last by the layout fork server: once WeasyPrint and the layout code are loaded, every object is moved
to the garbage collector's permanent generation (gc.freeze), so the workers forked from the server do not touch,
and so do not copy, the pages that hold them."""

import gc

gc.freeze()
