// Runs GraphiQL's bootstrap script (the page's inline script, read from standard input)
// against stand-ins of the browser and of the React and GraphiQL globals, then calls
// the fetcher it hands to GraphiQL with each header set of argv[2] (a JSON list).
// Prints what happened as JSON: the root's text, the props GraphiQL was rendered with,
// the fetcher's URL and the headers each call passed on.
import { readFileSync } from "node:fs";
import vm from "node:vm";

const script = readFileSync(0, "utf8");
const headerSets = JSON.parse(process.argv[2] ?? "[]");
const withGraphiQL = process.argv[3] !== "without-graphiql";
const seen = { rootText: null, props: null, fetcherUrl: null, forwarded: [] };
const root = {
  set textContent(value) {
    seen.rootText = value;
  },
};
const context = {
  document: { getElementById: (id) => (id === "graphiql" ? root : null) },
  window: { location: { origin: "http://127.0.0.1:8000", pathname: "/graphql" } },
};
if (withGraphiQL) {
  const GraphiQL = function GraphiQL() {};
  GraphiQL.createFetcher = ({ url }) => {
    seen.fetcherUrl = url;
    return (params, options) => {
      seen.forwarded.push(options.headers);
      return Promise.resolve({ data: params });
    };
  };
  context.GraphiQL = GraphiQL;
  context.React = {
    createElement: (component, props) => ({ component, props }),
  };
  context.ReactDOM = {
    createRoot: (element) => ({
      render: (tree) => {
        if (element !== root || tree.component !== GraphiQL) throw new Error("rendered elsewhere");
        seen.props = tree.props;
      },
    }),
  };
}
vm.runInNewContext(script, context);
if (seen.props) {
  for (const headers of headerSets) {
    await seen.props.fetcher({ query: "{ __typename }" }, { headers });
  }
  const { fetcher, ...props } = seen.props;
  seen.props = props;
}
process.stdout.write(JSON.stringify(seen));
