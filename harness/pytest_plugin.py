"""pytest plugin (entry point ``pytest11``): collects scenario files as test items.

Filled in by the scenario runner; registered from the start so that installing the
package never breaks pytest.
"""
