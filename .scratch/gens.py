import json,subprocess,sys
from datetime import datetime
T='/work/main/.cache/temporal-cli-1.5.1/temporal'; A=sys.argv[1]
runs=json.loads(subprocess.check_output([T,'workflow','list','--address',A,'--limit','200','-o','json','--query',"WorkflowType='ptqRun'"]))
runs.sort(key=lambda w:w['startTime'])
def t(e):
  s=e['eventTime']; d=datetime.fromisoformat(s.replace('Z','+00:00')[:26]+'+00:00') if '.' in s else datetime.fromisoformat(s.replace('Z','+00:00'))
  return d.timestamp()*1000
prev=None
for w in runs:
  h=json.loads(subprocess.check_output([T,'workflow','show','--address',A,'-w',w['execution']['workflowId'],'-r',w['execution']['runId'],'-o','json']))['events']
  st=[e for e in h if e['eventType']=='EVENT_TYPE_WORKFLOW_TASK_STARTED']; co=[e for e in h if e['eventType']=='EVENT_TYPE_WORKFLOW_TASK_COMPLETED']
  sched=[e for e in h if e['eventType']=='EVENT_TYPE_ACTIVITY_TASK_SCHEDULED']
  mk=[e for e in h if e['eventType']=='EVENT_TYPE_MARKER_RECORDED']
  start=t(h[0]); close=t(h[-1])
  closed = h[-1]['eventType'].endswith('CONTINUED_AS_NEW')
  print('gen events %5d tasks %5d gap %6s firstWFTwait %5.0f firstWFT %5.0f lastWFT %5.0f drain %6.0f dur %6.0f markers %d %s' % (len(h), len(sched), '%.0f'%(start-prev) if prev else '-', t(st[0])-start, t(co[0])-t(st[0]), (t(co[-1])-t(st[-1])) if closed else -1, (close-t(sched[-1])) if closed and sched else -1, close-start, len(mk), '' if closed else 'running'))
  prev=close
