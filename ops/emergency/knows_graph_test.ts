import assert from "node:assert/strict";
import { knowsGraph, type TableView } from "./knows_graph.ts";

const view = (name: string, contacts: string[]): TableView => ({ name, id: `id-${name}`, contacts });

Deno.test("knowsGraph() finds one component when the tables link every node, either way", () => {
  const graph = knowsGraph([view("a", ["id-b"]), view("b", []), view("c", ["id-b", "id-client"])]);
  assert.deepEqual(graph.components, [["a", "b", "c"]]);
  assert.deepEqual(graph.unlisted, ["a", "c"], "nobody lists a or c (a client contact does not count)");
});

Deno.test("knowsGraph() splits tables that never name each other into components, largest first", () => {
  const graph = knowsGraph([
    view("a", ["id-b"]),
    view("b", ["id-a"]),
    view("x", ["id-y"]),
    view("y", ["id-x", "id-z"]),
    view("z", ["id-y"]),
    view("lone", []),
  ]);
  assert.deepEqual(graph.components, [["x", "y", "z"], ["a", "b"], ["lone"]]);
  assert.deepEqual(graph.unlisted, ["lone"]);
});

Deno.test("knowsGraph() of one table or none has nothing unlisted", () => {
  assert.deepEqual(knowsGraph([view("only", [])]), { components: [["only"]], unlisted: [] });
  assert.deepEqual(knowsGraph([]), { components: [], unlisted: [] });
});
