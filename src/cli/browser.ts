/** @module Opens a URL in the user's browser: $BROWSER when set (xdg-open's convention), else the platform opener. */

/** The command that opens `url`: the first $BROWSER entry (`%s` marks where the URL goes), else open/xdg-open. */
export function browserCommand(
  url: string,
  browser: string | undefined,
  platform: string = process.platform,
): string[] {
  const chosen = browser
    ?.split(":")
    .map((entry) => entry.trim())
    .find(Boolean);
  if (chosen) {
    const words = chosen.split(/\s+/);
    return words.some((word) => word.includes("%s")) ? words.map((word) => word.replace("%s", url)) : [...words, url];
  }
  if (platform === "darwin") return ["open", url];
  if (platform === "win32") return ["cmd", "/c", "start", '""', url];
  return ["xdg-open", url];
}

/** Starts the browser without waiting for it; returns false when the command cannot be started. */
export function openInBrowser(url: string, browser: string | undefined): boolean {
  try {
    const child = Bun.spawn(browserCommand(url, browser), { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    // The CLI exits when the login ends; a browser it started must not hold it open or die with it.
    child.unref();
    return true;
  } catch {
    return false;
  }
}
