"""The script copier's `_migrations` run: python run_migration.py <version> <before|after>.

copier runs it from the *new* template's temporary clone with the repository being
updated as working directory; it imports the migrations package from beside itself.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from extensions.migrations import main

    sys.exit(main(sys.argv[1:]))
