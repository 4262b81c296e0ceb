"""Developer tools: commands for the people who change fixs-harness, not for its users.

They sit in the top layer, beside the entry points, because a tool may draw on any
layer (the schema generator reads the scenario, profile and report models at once)
and nothing in the product may depend on a tool. Each is run as
``python -m harness.tools.NAME``.
"""
