/**
 * Builds the local cqkd image with podman, from scratch: the root file system of {@linkcode assembleRootfs} and the
 * image settings of `compose/Dockerfile` (user, environment, health check, entrypoint), with no registry.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ADMIN_PORT, BINARY, DEFAULT_IMAGE, READY_PROBE, RUN_AS, STATE_DIR } from "../deploy/container.ts";
import { podman } from "./engine.ts";
import { APP_DIR, assembleRootfs } from "./rootfs.ts";

/**
 * The image definition: the assembled files on an empty base, the state directory owned by the node's user, and the
 * same settings as the production image (`compose/Dockerfile`).
 */
export function containerfile(): string {
  return [
    "FROM scratch",
    "COPY rootfs/ /",
    `COPY --chown=${RUN_AS}:${RUN_AS} state/ ${STATE_DIR}/`,
    // Once at build time, so that the cache holds the transpiled source and V8's code cache: every health check
    // starts a `cqkd probe`, which would otherwise transpile the whole program again on the read-only root.
    `RUN ${JSON.stringify([BINARY, "--version"])}`,
    `ENV STATE_DIR=${STATE_DIR} BIND_HOST=0.0.0.0 ADMIN_HOST=0.0.0.0 ADMIN_PORT=${ADMIN_PORT} HOME=/tmp`,
    `WORKDIR ${APP_DIR}`,
    `USER ${RUN_AS}:${RUN_AS}`,
    `EXPOSE 5678-5761/udp 6000-6001/udp 7000/udp ${ADMIN_PORT}/tcp`,
    `HEALTHCHECK --interval=10s --timeout=15s --start-period=30s --retries=3 CMD ${JSON.stringify(READY_PROBE)}`,
    `ENTRYPOINT ${JSON.stringify([BINARY])}`,
    'CMD ["--help"]',
    "",
  ].join("\n");
}

/** Options of {@linkcode buildImage}. */
export interface BuildOptions {
  /** The repository to build from. */
  source: string;
  /** The image's name. @default {DEFAULT_IMAGE}, as the generated deployment files name it */
  tag?: string;
  /** The deno binary to put in the image. @default Deno.execPath() */
  deno?: string;
}

/** What {@linkcode buildImage} made. */
export interface BuiltImage {
  /** Full names the image is known by (`localhost/cqkd:0.1.0`, and `docker.io/library/…` for Docker clients). */
  names: string[];
  id: string;
  /** Size of the image in bytes, as podman reports it. */
  bytes: number;
  libraries: string[];
}

/**
 * Assembles the root file system in a temporary directory and builds it into an image with `podman build`. The image
 * is tagged under `localhost/` (where podman finds a short name) and `docker.io/library/` (where a Docker client
 * talking to podman's socket looks for it).
 */
export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const tag = options.tag ?? DEFAULT_IMAGE;
  const context = await Deno.makeTempDir({ prefix: "cqkd-image-" });
  try {
    const libraries = await assembleRootfs({
      source: options.source,
      root: join(context, "rootfs"),
      ...(options.deno ? { deno: options.deno } : {}),
    });
    await mkdir(join(context, "state"));
    await writeFile(join(context, "Containerfile"), containerfile());
    const names = [`localhost/${tag}`, `docker.io/library/${tag}`];
    await podman(["build", "--quiet", "--format", "docker", ...names.flatMap((n) => ["-t", n]), context]);
    const [id, size] = (await podman(["image", "inspect", "--format", "{{.Id}} {{.Size}}", names[0]!])).trim()
      .split(" ");
    return { names, id: id!, bytes: Number(size), libraries };
  } finally {
    await Deno.remove(context, { recursive: true });
  }
}
