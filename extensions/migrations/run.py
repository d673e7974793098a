"""The script copier's `_migrations` run: python run.py <before|after> <answers file> <from> <to>.

copier runs it from the *new* template's temporary clone, with the repository being
updated as working directory. It imports this template checkout's own code (never an
installed flux-cookbook of another release) under the one name the code has everywhere,
`flux_cookbook.extensions`.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from flux_cookbook.extensions.migrations import main

    sys.exit(main(sys.argv[1:]))
