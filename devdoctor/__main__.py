from devdoctor.cli import main

raise SystemExit(main())
