import sys

from sriovctl.cli.main import main

sys.exit(main())
