// Composes the subgraphs whose SDL files are given (name=path ...) with Apollo's own
// composition (@apollo/composition) and prints the outcome as JSON on standard output:
// {"errors": [...], "hints": [...], "supergraphSdl": "..."}.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const services = process.argv.slice(2).map((argument) => {
  const [name, path] = argument.split("=");
  return { name, url: `http://${name}.invalid/graphql`, typeDefs: parse(readFileSync(path, "utf8")) };
});
const result = composeServices(services);
process.stdout.write(
  JSON.stringify({
    errors: (result.errors ?? []).map((error) => ({
      code: error.extensions?.code ?? null,
      message: error.message,
    })),
    hints: (result.hints ?? []).map((hint) => ({ code: hint.definition.code, message: hint.message })),
    supergraphSdl: result.supergraphSdl ?? null,
  }),
);
