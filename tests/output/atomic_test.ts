import { assert, assertEquals, assertRejects } from "../assert.ts";
import {
  isTempName,
  LineFile,
  removeStaleTempFiles,
  STALE_TEMP_MS,
  writeFileAtomic,
  writeFileExclusive,
} from "../../src/output/atomic.ts";
import { listTree, tempDir, tempFilesIn } from "./fixtures.ts";
import { readOnly, readOnlyMountProblem } from "../helpers.ts";

Deno.test("writeFileAtomic writes a new file and replaces an old one", async () => {
  const dir = await tempDir();
  const path = `${dir}/a.txt`;
  await writeFileAtomic(path, "one");
  assertEquals(await Deno.readTextFile(path), "one");
  await writeFileAtomic(path, new TextEncoder().encode("two"));
  assertEquals(await Deno.readTextFile(path), "two");
  assertEquals(await listTree(dir), ["a.txt"]);
});

Deno.test("a failure just before the rename leaves the old content and no temporary file", async () => {
  const dir = await tempDir();
  const path = `${dir}/a.txt`;
  await writeFileAtomic(path, "old content");
  let seenTemp = "";
  await assertRejects(
    () =>
      writeFileAtomic(path, "new content", {
        beforeRename: async (temp) => {
          seenTemp = temp;
          // the temporary file is complete and in the same folder before the rename
          assertEquals(await Deno.readTextFile(temp), "new content");
          assert(temp.startsWith(`${dir}/.a.txt.`) && isTempName(temp.slice(dir.length + 1)));
          throw new Error("simulated crash");
        },
      }),
    Error,
    "simulated crash",
  );
  assert(seenTemp !== "");
  assertEquals(await Deno.readTextFile(path), "old content");
  assertEquals(await tempFilesIn(dir), []);
  assertEquals(await listTree(dir), ["a.txt"]);
});

Deno.test("a failing rename (target is a non-empty folder) leaves it intact and no temporary file", async () => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/target`);
  await Deno.writeTextFile(`${dir}/target/keep.txt`, "keep");
  await assertRejects(() => writeFileAtomic(`${dir}/target`, "data"), Error);
  assertEquals(await Deno.readTextFile(`${dir}/target/keep.txt`), "keep");
  assertEquals(await listTree(dir), ["target/", "target/keep.txt"]);
});

Deno.test("writing under a parent that is a file fails and creates nothing", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/file`, "i am a file");
  await assertRejects(() => writeFileAtomic(`${dir}/file/child.txt`, "data"), Error);
  await assertRejects(() => writeFileAtomic(`${dir}/missing/child.txt`, "data"), Deno.errors.NotFound);
  assertEquals(await Deno.readTextFile(`${dir}/file`), "i am a file");
  assertEquals(await listTree(dir), ["file"]);
});

/** True when folder permissions bind this process (they do not for root). */
async function readOnlyFoldersBind(): Promise<boolean> {
  if (Deno.build.os === "windows") return false;
  const dir = await tempDir();
  await Deno.chmod(dir, 0o555);
  try {
    await Deno.writeTextFile(`${dir}/probe`, "");
    return false;
  } catch {
    return true;
  } finally {
    await Deno.chmod(dir, 0o755);
  }
}

// Folder modes stop an ordinary user; root ignores them, so as root the write runs in a read-only mount.
const modesBind = await readOnlyFoldersBind();
const mountProblem = modesBind ? null : await readOnlyMountProblem();
if (mountProblem) {
  console.warn(
    `atomic_test: skipping the read-only folder test: root ignores folder modes, and ${mountProblem}`,
  );
}

Deno.test({
  name: "writing into a read-only folder fails, the old file stays, no temporary file",
  ignore: mountProblem !== null,
  fn: async () => {
    const dir = await tempDir();
    await writeFileAtomic(`${dir}/a.txt`, "old");
    if (modesBind) {
      await Deno.chmod(dir, 0o555);
      try {
        await assertRejects(() => writeFileAtomic(`${dir}/a.txt`, "new"), Error);
      } finally {
        await Deno.chmod(dir, 0o755);
      }
    } else {
      const [command, ...args] = readOnly(dir);
      const driver = new URL("./atomic_driver.ts", import.meta.url).pathname;
      const { stdout } = await new Deno.Command(command, {
        args: [...args, Deno.execPath(), "run", "-A", driver, `${dir}/a.txt`],
        stderr: "inherit",
      }).output();
      assertEquals(new TextDecoder().decode(stdout).trim(), "refused: EROFS");
    }
    assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "old");
    assertEquals(await listTree(dir), ["a.txt"]);
  },
});

Deno.test("concurrent atomic writes to one file: the result is exactly one of them", async () => {
  const dir = await tempDir();
  const path = `${dir}/a.txt`;
  const contents = Array.from({ length: 20 }, (_, i) => `writer ${i} `.repeat(5000 + i));
  await Promise.all(contents.map((c) => writeFileAtomic(path, c)));
  assert(contents.includes(await Deno.readTextFile(path)));
  assertEquals(await listTree(dir), ["a.txt"]);
});

Deno.test("a 1 MB write is intact", async () => {
  const dir = await tempDir();
  const big = Array.from({ length: 1024 * 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
  await writeFileAtomic(`${dir}/big.md`, big);
  assertEquals(await Deno.readTextFile(`${dir}/big.md`), big);
});

Deno.test("writeFileExclusive never overwrites and leaves no temporary file", async () => {
  const dir = await tempDir();
  assertEquals(await writeFileExclusive(`${dir}/x.md`, "first"), true);
  assertEquals(await writeFileExclusive(`${dir}/x.md`, "second"), false);
  assertEquals(await Deno.readTextFile(`${dir}/x.md`), "first");
  assertEquals(await listTree(dir), ["x.md"]);
});

Deno.test("writeFileExclusive: of 20 concurrent claims on one name exactly one wins", async () => {
  const dir = await tempDir();
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => writeFileExclusive(`${dir}/x.md`, `claim ${i}`)),
  );
  assertEquals(results.filter(Boolean).length, 1);
  const winner = results.indexOf(true);
  assertEquals(await Deno.readTextFile(`${dir}/x.md`), `claim ${winner}`);
  assertEquals(await listTree(dir), ["x.md"]);
});

/** One writer of its own for each line: the case of separate processes appending. */
async function appendLine(path: string, line: string): Promise<void> {
  const file = await LineFile.open(path);
  try {
    await file.append(line);
  } finally {
    file.close();
  }
}

Deno.test("a LineFile creates parents, appends lines, refuses line breaks", async () => {
  const dir = await tempDir();
  const path = `${dir}/deep/er/log.jsonl`;
  const file = await LineFile.open(path);
  await file.append('{"a":1}');
  await file.append('{"b":2}');
  assertEquals(await Deno.readTextFile(path), '{"a":1}\n{"b":2}\n');
  await assertRejects(() => file.append("two\nlines"), TypeError);
  await assertRejects(() => file.append("cr\rline"), TypeError);
  file.close();
  await appendLine(path, '{"c":3}');
  assertEquals(await Deno.readTextFile(path), '{"a":1}\n{"b":2}\n{"c":3}\n');
});

Deno.test("200 concurrent appends give 200 whole lines", async () => {
  const dir = await tempDir();
  const path = `${dir}/log.jsonl`;
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => appendLine(path, JSON.stringify({ i, pad: "x".repeat(i * 37) }))),
  );
  const lines = (await Deno.readTextFile(path)).split("\n");
  assertEquals(lines.pop(), "");
  assertEquals(lines.length, 200);
  const seen = lines.map((line) => JSON.parse(line).i as number).sort((a, b) => a - b);
  assertEquals(seen, Array.from({ length: 200 }, (_, i) => i));
});

Deno.test("stale temporary files left by a killed writer are removed; fresh ones and articles stay", async () => {
  const dir = await tempDir();
  const now = Date.now();
  await Deno.writeTextFile(`${dir}/a.md`, "an article");
  await Deno.writeTextFile(`${dir}/.a.md.0123456789abcdef.tmp`, "left by a crash");
  await Deno.writeTextFile(`${dir}/.b.md.fedcba9876543210.tmp`, "a write in flight");
  const old = new Date(now - STALE_TEMP_MS - 1_000);
  await Deno.utime(`${dir}/.a.md.0123456789abcdef.tmp`, old, old);
  await Deno.utime(`${dir}/a.md`, old, old);
  assertEquals(await removeStaleTempFiles(dir, now), [".a.md.0123456789abcdef.tmp"]);
  assertEquals(await listTree(dir), [".b.md.fedcba9876543210.tmp", "a.md"]);
  assertEquals(await removeStaleTempFiles(`${dir}/missing`, now), []);
});
