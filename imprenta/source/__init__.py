"""Reading a document: the project and its metadata, the parts assembled into one AST, numbering and the linter.

`assemble.read_document` is where every command that reads a document starts.
"""
