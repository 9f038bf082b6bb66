"""Named investigator queries for the Neo4j store, one ``.cypher`` file each (package data).

Each file starts with a header comment: purpose, ``@param NAME TYPE [= DEFAULT] description``
lines and one ``@returns col, col, ...`` line. Run them with ``flowgraph query NAME -p k=v`` or
:func:`flowgraph.querylib.run_query`; they always run in read-only transactions.
"""
