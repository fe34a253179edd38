/** Whether this machine can run containers at all, and if not, why. */
import { run } from "./engine.ts";
import { linkedLibraries } from "./ldd.ts";

/**
 * Why containers cannot run here, or undefined when they can: the tools are installed, and podman starts a container
 * (from a root file system of a shell and the libraries it links, `--rootfs`, so that no image is needed) on a bridge
 * network. `tools` are the other commands the caller needs.
 */
export async function engineProblem(tools: readonly string[] = []): Promise<string | undefined> {
  for (const tool of ["podman", "runc", ...tools]) {
    const found = await run("sh", ["-c", `command -v ${tool}`], { check: false });
    if (found.code !== 0) return `${tool} is not installed`;
  }
  const root = await Deno.makeTempDir({ prefix: "cqkd-preflight-" });
  try {
    const libraries = await linkedLibraries("/bin/dash");
    for (const file of ["/bin/dash", ...libraries]) {
      await Deno.mkdir(`${root}${file.slice(0, file.lastIndexOf("/"))}`, { recursive: true });
      await Deno.copyFile(file, `${root}${file}`);
    }
    const started = await run("podman", ["run", "--rm", "--rootfs", root, "/bin/dash", "-c", "exit 0"], {
      check: false,
    });
    if (started.code !== 0) return `podman cannot start a container: ${lastLines(started.stderr)}`;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  return undefined;
}

function lastLines(text: string): string {
  return text.trim().split("\n").filter((line) => !/systemd/.test(line)).slice(-2).join(" / ");
}
