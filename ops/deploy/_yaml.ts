import { Document, isScalar, visit } from "yaml";

/** Longest sequence of short scalars written on one line (`[node, worker]`). */
const FLOW_WIDTH = 60;

/**
 * A deployment object as YAML: no anchors or aliases (each service reads on its own), no folded lines, and short
 * lists of plain words on one line as people write them (`command: [node, worker]`).
 */
export function toYaml(value: unknown): string {
  const document = new Document(value, { aliasDuplicateObjects: false });
  visit(document, {
    Seq(_, seq) {
      const words = seq.items.map((item) => isScalar(item) ? String(item.value) : undefined);
      const short = words.every((w) => w !== undefined && !w.includes(",") && !w.includes(" "));
      if (short && words.join(", ").length <= FLOW_WIDTH && words.length > 0) seq.flow = true;
    },
  });
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}
