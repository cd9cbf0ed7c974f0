"""The compiled read path: one SQL statement per supported root field builds the response JSON.

An execution strategy behind strawberry, not a second API: the schema, validation, arguments,
errors and audit stay the resolvers' own. The policy decisions come from the one evaluator and
the row filter from `hub.policy.jurisdiction.visible`; both are rendered into the statement.
Shapes it does not cover are served by the ordinary resolvers (see docs/performance.md).
"""
