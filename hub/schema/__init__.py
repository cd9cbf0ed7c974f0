"""The GraphQL schema: strawberry types, inputs, enums and the root Query/Mutation/Subscription."""
