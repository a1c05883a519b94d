from devdoctor.entry import main

raise SystemExit(main())
