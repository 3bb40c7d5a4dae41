/**
 * The HTTP service's libraries (fastify, prom-client) and the CSV parser are optional peer
 * dependencies, like the database drivers: an engine-only or embedded-only install carries none of
 * them. They are imported on use; a missing one is an error that says what to install.
 */

/** Runs `load` (a dynamic import); a missing package becomes an Error naming it and `feature`. */
export async function importOptional<T>(
  load: () => Promise<T>,
  packages: readonly string[],
  feature: string,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = (error as Error).message ?? "";
    const missing = packages.filter((name) => message.includes(`'${name}'`) || message.includes(`"${name}"`));
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && missing.length > 0) {
      throw new Error(
        `${feature} needs the optional peer dependencies ${packages.join(" and ")}: npm install ${packages.join(" ")}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
