/** What an operation did, as the operations page shows it. */
import type { Child } from "hono/jsx";
import type { OperationResult } from "../source.ts";
import { Table } from "./parts.tsx";

export function OperationFragment({ title, result }: { title: string; result: OperationResult }): Child {
  return (
    <div>
      <p class={`banner ${result.ok ? "ok" : "bad"}`} role="status">
        <strong>{title}</strong> <span>{result.summary}</span>
      </p>
      <Table caption={title} headers={result.headers} rows={result.rows} />
    </div>
  );
}

export function ErrorFragment({ message }: { message: string }): Child {
  return <p class="banner bad" role="alert">{message}</p>;
}
