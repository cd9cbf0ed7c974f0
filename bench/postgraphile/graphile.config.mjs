// PostGraphile 5 over the mzhub tables (schema `public`), production-like: no GraphiQL, no
// watch mode, no explain, NODE_ENV=production (set by bench/compare.py).
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/mzhub_bench_compare PORT=5679 \
//     NODE_ENV=production node server.mjs
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { addPgTableCondition } from "postgraphile/utils";

// `allResidents(condition: {divisionCodeUnder: "640104001000"})`: residents registered anywhere
// under a division, written as the same index range as mzhub's jurisdiction filter: the code cut
// to its level's prefix (2, 4, 6, 9 or 12 digits), padded with 0s and with 9s.
function divisionPrefix(code) {
  if (!/^\d{12}$/.test(code)) throw new Error("divisionCodeUnder must be a 12-digit code");
  let keep = 12;
  for (const shorter of [9, 6, 4, 2]) {
    if (code.slice(shorter, keep) !== "0".repeat(keep - shorter)) break;
    keep = shorter;
  }
  return code.slice(0, keep);
}

const DivisionCodeUnderPlugin = addPgTableCondition(
  { schemaName: "public", tableName: "residents" },
  "divisionCodeUnder",
  (build) => ({
    description: "Residents registered under this 12-digit division code.",
    type: build.graphql.GraphQLString,
  }),
  (value, { sql, sqlTableAlias }) => {
    if (value == null) return null;
    const prefix = divisionPrefix(String(value));
    const [low, high] = [prefix.padEnd(12, "0"), prefix.padEnd(12, "9")];
    return sql`${sqlTableAlias}.division_code between ${sql.value(low)} and ${sql.value(high)}`;
  },
);

const port = Number(process.env.PORT ?? 5679);

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [DivisionCodeUnderPlugin],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      // The same pool size as mzhub's engine (hub/db/engine.py: pool_size=10).
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port,
    graphiql: false,
    watch: false,
    websockets: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
