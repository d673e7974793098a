"""`flux-cookbook adopt`: a Flux repository built by hand from the Geek Cookbook pages, adopted.

Many cookbook readers copied the pages' files by hand. Their repositories have no answers
files, so copier cannot update them. This package reads such a repository and writes the
answers files that release 1.0.0 of the template (the cookbook's own layout and APIs)
would have written for it. The ordinary `copier update` then brings it to the newest
release: copier renders 1.0.0 with these answers, takes the user's differences from that
render and replays them on the newest release, so the user's own values are kept.

That replay works where an object sits at the path the template renders it to, so each
recognised object that is alone in its file is moved there (`git mv`), within the folder
one Flux Kustomization applies (moving an object from one Kustomization to another would
make the first one prune it from the cluster). An object that shares its file with other
documents is split out of it (yaml_split): its document's own text, as written, goes to
the template path, and the file keeps the others, or goes when none is left. Names are
never changed: an app is named after its folder (after its Kustomization where folders of
one name sit at different depths: `redis/` and `mastodon/redis/` are the apps `redis` and
`mastodon-redis`), and a Kustomization, HelmRelease or ConfigMap named otherwise keeps its
name, as the user's own change to the template's file.

What the template cannot express stays the user's own file, where it is: still migrated
by every update (Flux API versions), no longer templated. copier takes a template file
missing from the repository for one the user deleted and does not add it back, so no
second copy appears; the namespace file, which copier would add back, is governed by
the `owns_namespace` answer instead. A note names each such file. Only what would make
an update write a second copy of an object, or what the template's own checks refuse, is
a problem, and every problem is reported in one run, before anything is written.

Apps one folder down (`apps/<app>/`, Flux's documented layout) are adopted with their
folder as it is: the cluster's `apps_dir` answer records the parent folder, and on the
app's first update the migrations merge it where release 1.0.0 rendered it and put it
back (extensions/migrations/apps_folder.py). An app whose folder is not named after it
(`mastodon/redis/` of the app `mastodon-redis`) is merged the same way on every update.

Every adoption is checked by building what Flux builds (build_check): a Flux
Kustomization path that built before adoption and no longer does undoes the adoption.

The modules, in the order adopting runs them: `adoption` the two steps a command calls
(plan, then carry out with a build before and after, in the repository or, for a dry run,
in a scratch worktree); `git_state` the preconditions and
git's remote and branch; `reading` the repository's model seen from the bootstrap folder;
`apps` the apps, by their Kustomizations; `answers` each app's and the cluster's answers;
`placement` where each object goes, `yaml_split` the files taken apart as written;
`housekeeping` and `template_files` the release's own files; `findings` every problem and
note collected before writing; `plan` all of it put together; `carrying_out` the moves,
the writes and the undo, and the kustomization files' entries they leave behind.
"""

# Adopted repositories are pinned to the release that writes the cookbook's own layout.
RELEASE = "1.0.0"
RELEASE_TAG = f"v{RELEASE}"
