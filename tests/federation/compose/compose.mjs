// Composes subgraph SDL files with Apollo's own composition library (@apollo/composition).
// Usage: node compose.mjs NAME=FILE.graphql [NAME=FILE.graphql ...]
// Prints {"errors": [...], "hints": [...], "supergraphSdl": "..."} and exits 1 on any error.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const services = process.argv.slice(2).map((arg) => {
  const [name, file] = arg.split("=");
  return {
    name,
    url: `http://${name}.subgraph.invalid/graphql`,
    typeDefs: parse(readFileSync(file, "utf8")),
  };
});
if (services.length === 0) {
  console.error("usage: node compose.mjs NAME=FILE.graphql [NAME=FILE.graphql ...]");
  process.exit(2);
}
const result = composeServices(services);
const errors = (result.errors ?? []).map((e) => ({ code: e.extensions?.code, message: e.message }));
const hints = (result.hints ?? []).map((h) => ({ code: h.definition?.code, message: h.message }));
process.stdout.write(
  JSON.stringify({ errors, hints, supergraphSdl: result.supergraphSdl ?? null }, null, 2) + "\n",
);
process.exit(errors.length ? 1 : 0);
