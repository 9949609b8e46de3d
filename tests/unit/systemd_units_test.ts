/**
 * The words of a unit file, quoted by systemd's rules, and which paths the service's sandbox hides.
 * Pure: what systemd makes of these is checked in tests/integration/systemd_cli_test.ts.
 */
import { assertEquals } from "../assert.ts";
import { execArg, servicePathProblem, unitWord } from "../../src/deploy/systemd.ts";

Deno.test('unitWord leaves plain paths bare, and quotes the rest with \\ and " escaped and % doubled', () => {
  assertEquals(unitWord("/srv/press-1_a@b+c=d:e,f.g"), "/srv/press-1_a@b+c=d:e,f.g");
  assertEquals(unitWord("/srv/press data"), '"/srv/press data"');
  assertEquals(unitWord("/srv/50%"), '"/srv/50%%"');
  assertEquals(unitWord("/srv/ü"), '"/srv/ü"');
  assertEquals(unitWord('/srv/a"b\\c'), '"/srv/a\\"b\\\\c"');
  assertEquals(unitWord("/srv/$HOME"), '"/srv/$HOME"');
});

Deno.test("execArg also doubles $, which systemd expands in ExecStart= arguments", () => {
  assertEquals(execArg("/srv/$HOME/${X}"), '"/srv/$$HOME/$${X}"');
  assertEquals(execArg("run"), "run");
});

Deno.test("servicePathProblem: hidden folders by whole path components, symlink targets, unit-file characters", () => {
  for (const path of ["/home", "/home/me/p", "/root/p", "/run/user/1000/p", "/tmp/p", "/var/tmp/p"]) {
    assertEquals(servicePathProblem("data", path)?.startsWith(`${path} is under /`), true, path);
  }
  for (
    const path of ["/homework/p", "/rooted/p", "/tmpfs/p", "/var/tmpx/p", "/run/userdata/p", "/srv/home/p"]
  ) {
    assertEquals(servicePathProblem("data", path), null, path);
  }
  assertEquals(
    servicePathProblem("config", "/etc/pressroom/pressroom.json", "/home/me/pressroom.json")?.split(";")[0],
    "/etc/pressroom/pressroom.json leads to /home/me/pressroom.json, which is under /home, where the " +
      "service cannot see it (ProtectHome=yes hides it)",
  );
  assertEquals(
    servicePathProblem("data", "/srv/a\tb"),
    "/srv/a\tb holds a control character, which a unit file cannot carry",
  );
  assertEquals(servicePathProblem("data", '/srv/it\'s "q" \\'), null);
  assertEquals(
    servicePathProblem("exec", "/opt/a\\b")?.split(";")[0],
    "/opt/a\\b: systemd refuses quotes and backslashes in the executable's path",
  );
  assertEquals(servicePathProblem("exec", "/opt/press room %/pressroom"), null);
});
